/**
 * A background loop that runs `work` every `intervalMs`, or sooner when woken, never
 * two runs at once. Wake-ups during a run schedule exactly one follow-up run.
 */
export class Wakeable {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private again = false;
  private stopped = true;
  private current: Promise<void> = Promise.resolve();

  constructor(
    private readonly work: () => Promise<void>,
    private readonly intervalMs: number,
    private readonly onError: (err: unknown) => void,
    private readonly debounceMs = 0,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(this.intervalMs);
  }

  /**
   * Runs soon (after the debounce window) instead of at the next interval. A run already
   * due sooner is never pushed back, so a steady stream of wake-ups cannot starve it.
   */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer && this.dueAt <= Date.now() + this.debounceMs) return;
    this.schedule(this.debounceMs);
  }

  private dueAt = 0;

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.dueAt = Date.now() + ms;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.run();
    }, ms);
    this.timer.unref();
  }

  private async run(): Promise<void> {
    if (this.stopped || this.running) return;
    this.running = true;
    this.again = false;
    this.current = (async () => {
      try {
        await this.work();
      } catch (err) {
        this.onError(err);
      }
    })();
    await this.current;
    this.running = false;
    if (!this.stopped) this.schedule(this.again ? this.debounceMs : this.intervalMs);
  }

  /** Stops and waits for a run in progress to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.current;
  }
}
