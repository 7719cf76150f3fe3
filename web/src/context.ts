// What every part of the page works with: the state, the run, the canvas and the activity line.
import type { Activity } from './activity';
import type { RunData } from './run-data';
import type { AppState } from './state';
import type { Store } from './store';
import type { CanvasView } from './views/canvas';

export interface Context {
  store: Store<AppState>;
  data: RunData;
  canvas: CanvasView;
  activity: Activity;
}
