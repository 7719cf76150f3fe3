// Latest wins: for work started again before an earlier start has finished (a restyle that awaits colours or
// lines from the server), each start gets a token and only the latest token may still change what is shown,
// so a slow older reply never overwrites what a newer state asked for.
export class Latest {
  private last = 0;

  // A new token; every earlier one stops being the latest.
  start(): number {
    return ++this.last;
  }

  isLatest(token: number): boolean {
    return token === this.last;
  }
}
