// What the page is doing, for the status line and the test hooks: requests in flight, the last error, a
// note about slow work, and performance.now() marks of the stages of start-up and drawing.
export class Activity {
  inFlight = 0;
  error: string | null = null;
  readonly timings: Record<string, number> = {};

  constructor(private status: HTMLElement) {}

  // Counts `work` as in flight until it settles; a failure is shown and rethrown.
  async track<T>(work: Promise<T>): Promise<T> {
    this.inFlight++;
    try {
      return await work;
    } catch (e) {
      this.fail(e);
      throw e;
    } finally {
      this.inFlight--;
    }
  }

  fail(e: unknown): void {
    this.error = (e as Error).message;
    this.status.textContent = `error: ${this.error}`;
  }

  // A line about work that takes a while ('' to clear it).
  note(text: string): void {
    this.status.textContent = text;
  }

  mark(stage: string): void {
    this.timings[stage] = performance.now();
  }
}
