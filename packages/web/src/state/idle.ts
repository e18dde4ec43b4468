/**
 * Idle detection for automatic Inactive/Away. The browser sees input only in
 * this page, so "idle" means no key, pointer, wheel or touch here for
 * `idleAfterMs`. The server turns idleness into Inactive at last input +
 * `presence.inactiveAfterSeconds` and Away `presence.awayAfterSeconds` later
 * (aggregate.ts; 5 + 5 min by default); the client only reports since when.
 */
export class IdleTracker {
  #lastInput = Date.now();
  #idle = false;
  #timer: ReturnType<typeof setInterval> | undefined;
  readonly #events = ['keydown', 'pointerdown', 'pointermove', 'wheel', 'touchstart', 'focus'] as const;

  constructor(
    private readonly idleAfterMs: number,
    private readonly onChange: (idleSince: number | undefined) => void,
  ) {}

  readonly #input = (): void => {
    this.#lastInput = Date.now();
    if (this.#idle) {
      this.#idle = false;
      this.onChange(undefined);
    }
  };

  start(): void {
    for (const e of this.#events) window.addEventListener(e, this.#input, { passive: true, capture: true });
    this.#timer = setInterval(() => {
      if (!this.#idle && Date.now() - this.#lastInput >= this.idleAfterMs) {
        this.#idle = true;
        this.onChange(this.#lastInput);
      }
    }, Math.min(5000, this.idleAfterMs / 2));
  }

  get idleSince(): number | undefined {
    return this.#idle ? this.#lastInput : undefined;
  }

  stop(): void {
    for (const e of this.#events) window.removeEventListener(e, this.#input, { capture: true });
    clearInterval(this.#timer);
  }
}
