// Start-up and wiring: loads the run, builds the canvas and the parts of the page, and adds each part to the
// store, which updates it whenever a state key it reads changes (see store.ts). A new part of the page is a
// module in parts/ that declares the keys it reads, plus a line here.
import './style.css';
import { Activity } from './activity';
import { api, type Method } from './api';
import type { Context } from './context';
import { carriedView, chooseRun } from './data/runs';
import { $ } from './dom';
import { Breadcrumbs } from './parts/breadcrumbs';
import { Export } from './parts/export';
import { HeadNav } from './parts/head-nav';
import { HeadsController } from './parts/heads';
import { listenToKeys } from './parts/keyboard';
import { LegendPanel } from './parts/legend';
import { MatrixController } from './parts/matrix';
import { ProbeBox } from './parts/probe';
import { NeighboursPart } from './parts/neighbours';
import { Permalink, stateFromUrl } from './parts/permalink';
import { Progress } from './parts/progress';
import { RunSwitcher } from './parts/run-switcher';
import { Search } from './parts/search';
import { SelectTool } from './parts/select-tool';
import { SelectionPanel } from './parts/selection-panel';
import { SidePanel } from './parts/side-panel';
import { SingleController } from './parts/single';
import { installTestHooks } from './parts/test-hooks';
import { Toolbar } from './parts/toolbar';
import { Tooltips } from './parts/tooltips';
import { ValuesToggle } from './parts/values';
import { RunData } from './run-data';
import { store } from './state';
import { CanvasView } from './views/canvas';

const activity = new Activity($('status'));
const hooks = installTestHooks(store, activity);

async function main(): Promise<void> {
  activity.mark('start');
  const { runs } = await activity.track(api.runs());
  const run = chooseRun(runs, new URLSearchParams(window.location.search).get('run'));
  api.useRun(run);
  const data = await activity.track(RunData.load());
  activity.mark('runLoaded');
  if (data.info.problems?.length) activity.note(data.info.problems.join(' · ')); // the page works without them
  const ctx: Context = {
    store,
    data,
    canvas: new CanvasView($('deck'), () => $('legend').offsetHeight + 12),
    activity,
  };
  const legend = new LegendPanel($('legend'));
  const matrix = new MatrixController(ctx, legend);
  const single = new SingleController(ctx, legend);
  const heads = new HeadsController(ctx, legend, runs);
  // The first method whose 2D layouts are all on disk (t-SNE, else UMAP, else PCA) opens the page; else the
  // first whose file is not broken.
  const methods: Method[] = ['tsne', 'umap', 'pca'];
  const best = methods.find((m) => data.complete(m, 2)) ?? methods.find((m) => !data.problem(m, 2)) ?? 'pca';
  const dark = window.matchMedia?.('(prefers-color-scheme: dark)').matches;
  // A switch from another run carries the view state that still applies (data/runs.ts); a permalink's
  // parameters (parts/permalink.ts) apply on top.
  const carried = carriedView(window.location.search, (m) => !data.problem(m, 2));
  store.set({ method: best, theme: dark ? 'dark' : 'light', layouts: data.info.layouts, run: run.name });
  store.set({ ...carried, ...stateFromUrl(data), run: run.name });
  store.add(new Toolbar(ctx));
  store.add(new RunSwitcher(runs));
  store.add(new Search(ctx));
  store.add(new Export(ctx));
  store.add(new Breadcrumbs(ctx));
  store.add(new HeadNav(ctx));
  store.add(new Progress(ctx));
  store.add(legend);
  store.add(
    new Tooltips(
      ctx,
      (cell) => matrix.headAt(cell),
      () => single.norms,
      (k) => heads.textAt(k),
    ),
  );
  store.add(matrix);
  store.add(single);
  store.add(heads);
  store.add(new SidePanel(ctx));
  store.add(new ProbeBox(ctx));
  store.add(new SelectTool(ctx, () => single.scene));
  store.add(new SelectionPanel(ctx));
  const neighbours = new NeighboursPart(ctx, single);
  store.add(neighbours);
  store.add(new ValuesToggle(ctx));
  store.add(new Permalink(ctx)); // last: the URL shows the state once every part has reacted to it
  listenToKeys(ctx);
  hooks.connect({ ...ctx, matrix, single, heads, neighbours });
}

main().catch((e) => activity.fail(e));
