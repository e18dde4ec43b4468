/**
 * Timer values of RFC 3261 §17 and Table 4 (§A), with what RFC 6026 added.
 *
 * | Timer | Value            | Meaning                                              |
 * |-------|------------------|------------------------------------------------------|
 * | T1    | 500 ms           | RTT estimate                                         |
 * | T2    | 4 s              | maximum retransmit interval, non-INVITE / responses |
 * | T4    | 5 s              | maximum time a message stays in the network          |
 * | A     | T1, doubling     | INVITE retransmit, unreliable only (§17.1.1.2)       |
 * | B     | 64*T1            | INVITE transaction timeout                           |
 * | C     | > 3 min          | proxy INVITE transaction timeout (§16.6 step 11)     |
 * | D     | > 32 s / 0       | wait for response retransmits (unreliable / reliable)|
 * | E     | T1 … T2          | non-INVITE retransmit, unreliable only (§17.1.2.2)   |
 * | F     | 64*T1            | non-INVITE transaction timeout                       |
 * | G     | T1 … T2          | INVITE final response retransmit (§17.2.1)           |
 * | H     | 64*T1            | wait for ACK receipt                                 |
 * | I     | T4 / 0           | wait for ACK retransmits                             |
 * | J     | 64*T1 / 0        | wait for non-INVITE request retransmits (§17.2.2)    |
 * | K     | T4 / 0           | wait for response retransmits (§17.1.2.2)            |
 * | L     | 64*T1            | wait for INVITE retransmits after 2xx (RFC 6026)     |
 * | M     | 64*T1            | wait for 2xx retransmits (RFC 6026 §8.4)             |
 */

export interface TimerValues {
  readonly T1: number;
  readonly T2: number;
  readonly T4: number;
  /** Timer D over unreliable transports: "at least 32 seconds" (§17.1.1.2). */
  readonly D: number;
  /** Timer C for proxied INVITEs: "larger than 3 minutes" (§16.6 step 11). */
  readonly C: number;
  /**
   * Delay before an INVITE server transaction sends 100 Trying on its own
   * when the TU has not answered (§17.2.1: 200 ms); 0 sends it at once, a
   * negative value never (the TU sends it).
   */
  readonly trying100: number;
}

export const DEFAULT_TIMER_VALUES: TimerValues = Object.freeze({
  T1: 500,
  T2: 4000,
  T4: 5000,
  D: 32_000,
  C: 185_000,
  trying100: 200,
});

/** Fills the defaults and checks the values (TypeError on nonsense). */
export function resolveTimerValues(input: Partial<TimerValues> = {}): TimerValues {
  const v = { ...DEFAULT_TIMER_VALUES, ...input };
  for (const k of ['T1', 'T2', 'T4', 'D', 'C'] as const) {
    if (!Number.isFinite(v[k]) || v[k] <= 0) throw new TypeError(`timer ${k} must be a positive number`);
  }
  if (v.T2 < v.T1) throw new TypeError('T2 must not be smaller than T1');
  if (!Number.isFinite(v.trying100)) throw new TypeError('trying100 must be a number');
  return Object.freeze(v);
}
