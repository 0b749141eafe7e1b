/**
 * Runs async jobs one after another in submission order. Role runtimes put every command batch through one
 * queue, so replica updates, gradient jobs and sends happen in exactly the order the reducer decided.
 */
export class SerialQueue {
  private tail: Promise<void> = Promise.resolve();

  constructor(private readonly onError: (e: unknown) => void) {}

  /** Enqueues `job`; a failing job is reported and does not stop later ones. */
  push(job: () => Promise<void> | void): void {
    this.tail = this.tail.then(job).catch(this.onError);
  }

  /** Resolves when everything queued so far has run. */
  idle(): Promise<void> {
    return this.tail;
  }
}
