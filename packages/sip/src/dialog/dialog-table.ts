/**
 * The dialogs a UA core knows, by id (§12.2.2: an incoming request with a
 * To tag is matched by Call-ID, To tag = local tag, From tag = remote tag).
 * Bounded; a terminated dialog leaves the table by itself.
 */
import type { SipRequest, SipResponse } from '../message/message.js';
import type { Dialog } from './dialog.js';
import { type DialogId, dialogIdOfIncomingRequest, dialogIdOfResponse, dialogKey } from './dialog-id.js';
import { DialogState } from './dialog-state.js';

export class DialogTable {
  readonly #dialogs = new Map<string, Dialog>();
  readonly #max: number;
  /** One callback for all dialogs of the table (it gets the dialog), not a closure per dialog. */
  readonly #forget = (dialog: Dialog): void => {
    if (this.#dialogs.get(dialog.key) === dialog) this.#dialogs.delete(dialog.key);
  };

  constructor(max = 100_000) {
    if (!Number.isInteger(max) || max < 1) throw new TypeError('max must be a positive integer');
    this.#max = max;
  }

  get size(): number {
    return this.#dialogs.size;
  }

  /** Adds a dialog; false when the table is full or the dialog is terminated. Re-adding is a no-op. */
  add(dialog: Dialog): boolean {
    if (dialog.state === DialogState.Terminated) return false;
    const existing = this.#dialogs.get(dialog.key);
    if (existing === dialog) return true;
    if (existing !== undefined) throw new TypeError(`a dialog ${dialog.key.replace(/\n/g, '/')} exists already`);
    if (this.#dialogs.size >= this.#max) return false;
    this.#dialogs.set(dialog.key, dialog);
    dialog.whenTerminated(this.#forget);
    return true;
  }

  get(id: DialogId): Dialog | undefined {
    return this.#dialogs.get(dialogKey(id));
  }

  /** The dialog of an incoming in-dialog request (§12.2.2). */
  findForRequest(request: SipRequest): Dialog | undefined {
    const id = dialogIdOfIncomingRequest(request);
    return id === undefined ? undefined : this.get(id);
  }

  /** The dialog a response to our request belongs to (§12.2.1.2, §13.2.2.4). */
  findForResponse(response: SipResponse): Dialog | undefined {
    const id = dialogIdOfResponse(response);
    return id === undefined ? undefined : this.get(id);
  }

  values(): IterableIterator<Dialog> {
    return this.#dialogs.values();
  }

  /** Terminates every dialog. */
  clear(): void {
    for (const d of [...this.#dialogs.values()]) d.terminate();
    this.#dialogs.clear();
  }
}
