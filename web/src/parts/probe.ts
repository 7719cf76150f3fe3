// The "try an input" box: a text (or, on an image run, an image file) of the user's own, sent to
// POST /api/probe, and the list of the probes made, each one opened (the single view and its side panel) or
// removed. It owns the state keys `probes` and `activeProbe`; the views draw the probes (probe-points.ts).
// The server's one-line answer to a bad input (400, 409, 413) is shown next to the box.
import { api, HttpError, type ProbeInput } from '../api';
import type { Context } from '../context';
import { probeSummary, toBase64, withoutProbe, withProbe, type Probe } from '../data/probe';
import { $ } from '../dom';
import type { AppPart, Keys, Reads } from '../state';

const KEYS = ['probes', 'activeProbe'] as const satisfies Keys;
type State = Reads<typeof KEYS>;

export class ProbeBox implements AppPart<typeof KEYS> {
  readonly keys = KEYS;
  private readonly image: boolean;
  private readonly text = $<HTMLInputElement>('probe-text');
  private readonly file = $<HTMLInputElement>('probe-file');

  constructor(private ctx: Context) {
    this.image = ctx.data.modality === 'image';
    const form = $<HTMLFormElement>('probe-form');
    const availability = ctx.data.info.probe ?? { available: false, reason: 'this server does not probe' };
    if (!availability.available) {
      // No model to run: the box is hidden, and the marker left in its place says why.
      form.title = availability.reason;
      for (const id of ['probe-text', 'probe-file', 'probe-submit']) $(id).hidden = true;
      this.say('no probing');
      return;
    }
    this.text.hidden = this.image;
    this.file.hidden = !this.image;
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.submit();
    });
    this.file.addEventListener('change', () => void this.submit());
  }

  update(s: State): void {
    const list = $('probe-list');
    list.hidden = s.probes.length === 0;
    list.replaceChildren(...s.probes.map((p) => this.item(p, p.id === s.activeProbe)));
  }

  // One line of the list: the probe's text (opens it), its token count, a button that removes it.
  private item(p: Probe, active: boolean): HTMLLIElement {
    const { store } = this.ctx;
    const li = document.createElement('li');
    li.classList.toggle('active', active);
    li.dataset.testid = 'probe-item';
    const open = document.createElement('button');
    open.className = 'probe-open';
    open.dataset.testid = 'probe-open';
    open.textContent = p.label;
    open.title = `show “${p.label}” in the single view with its attention`;
    open.addEventListener('click', () => store.set({ activeProbe: p.id, selected: null, view: 'single' }));
    const summary = document.createElement('span');
    summary.className = 'probe-summary';
    summary.textContent = probeSummary(p);
    const remove = document.createElement('button');
    remove.dataset.testid = 'probe-remove';
    remove.textContent = '×';
    remove.title = 'remove this input';
    remove.addEventListener('click', () => {
      const s = store.get();
      store.set(withoutProbe(s.probes, s.activeProbe, p.id));
    });
    li.append(open, summary, remove);
    return li;
  }

  private async submit(): Promise<void> {
    const { store, activity } = this.ctx;
    const input = await this.input();
    if (!input) return;
    this.say('placing…');
    // A refused input is an answer to show, not a failure of the page.
    const reply = await activity.track(api.probe(input.body).catch((e: unknown) => e as Error));
    if (reply instanceof Error) {
      this.say(refusal(reply));
      return;
    }
    this.say('');
    const probe: Probe = { ...reply, label: input.label, image: input.image };
    store.set({ probes: withProbe(store.get().probes, probe), activeProbe: probe.id });
    if (this.image) this.file.value = '';
    else this.text.value = '';
  }

  // What the box holds, as a body for the server: the text (an empty one too: the server says why not), or
  // the chosen image file.
  private async input(): Promise<{ body: ProbeInput; label: string; image: string | null } | null> {
    if (!this.image) return { body: { text: this.text.value }, label: this.text.value, image: null };
    const file = this.file.files?.[0];
    if (!file) return null;
    const base64 = toBase64(new Uint8Array(await file.arrayBuffer()));
    return { body: { image: base64 }, label: file.name, image: `data:${file.type};base64,${base64}` };
  }

  private say(line: string): void {
    $('probe-message').textContent = line;
  }
}

// The line that says why the server did not take an input. A body over the server's limit is answered 413
// and the connection closed while the browser may still be sending: then fetch sees no answer at all.
function refusal(e: Error): string {
  if (e instanceof HttpError) return e.reason;
  if (e instanceof TypeError) return `no answer from the server (${e.message}; it refuses inputs over 1 MiB)`;
  return e.message;
}
