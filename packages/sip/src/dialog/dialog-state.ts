/**
 * Dialog states (RFC 3261 §12; RFC 6665 §4.1.2.4 for subscriptions).
 *
 * ```
 *   1xx with To tag   +-------+  2xx (§13.2.2.4)  +-----------+
 *   ----------------->| Early |------------------>| Confirmed |
 *                     +-------+                   +-----------+
 *                         |    2xx, NOTIFY              |
 *                         |    ---------------------->  |
 *     non-2xx final,      |    (created Confirmed)      | BYE, 481/408,
 *     terminate() (§12.3) |                             | terminate() (§15)
 *                         V                             V
 *                     +-------------------------------------+
 *                     |              Terminated             |
 *                     +-------------------------------------+
 * ```
 */
export enum DialogState {
  Early = 'Early',
  Confirmed = 'Confirmed',
  Terminated = 'Terminated',
}
