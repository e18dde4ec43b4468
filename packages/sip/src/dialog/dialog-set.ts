/**
 * The dialogs one INVITE (or SUBSCRIBE) of ours creates (§12.1.2, §13.2.2.4;
 * RFC 6665 §4.1.2.4): a forking proxy may return responses from several
 * UASs, each with its own To tag, so early dialogs are kept by remote tag.
 *
 * ```
 *   1xx, new tag ──► new Early dialog          2xx, known Early tag ──► confirm (route set recomputed)
 *   1xx, known tag ─► same dialog              2xx, new tag ─────────► new Confirmed dialog
 *   non-2xx final ──► every Early dialog terminated (§12.3)
 * ```
 */
import type { SipRequest, SipResponse } from '../message/message.js';
import { type CreateDialogOptions, createDialogFromNotify, createUacDialog } from './create-dialog.js';
import type { Dialog } from './dialog.js';
import { DialogState } from './dialog-state.js';

export class DialogSet {
  readonly request: SipRequest;
  readonly #options: CreateDialogOptions;
  readonly #byTag = new Map<string, Dialog>();
  /** Called for each dialog created (the UA core registers it in its table). */
  onDialog: ((dialog: Dialog) => void) | undefined;

  constructor(request: SipRequest, options: CreateDialogOptions = {}) {
    this.request = request;
    this.#options = options;
  }

  get dialogs(): Dialog[] {
    return [...this.#byTag.values()];
  }

  get(remoteTag: string): Dialog | undefined {
    return this.#byTag.get(remoteTag);
  }

  #add(d: Dialog): Dialog {
    this.#byTag.set(d.id.remoteTag, d);
    this.onDialog?.(d);
    return d;
  }

  /**
   * A response to the request: returns the dialog it belongs to (created if
   * new), or undefined for a response that creates none (100, no To tag,
   * non-2xx final — which ends the early dialogs).
   */
  receiveResponse(response: SipResponse): Dialog | undefined {
    const s = response.status;
    const tag = response.to.tag;
    if (s >= 300) {
      this.terminateEarly();
      return undefined;
    }
    if (s === 100 || tag === undefined) return undefined;
    const known = this.#byTag.get(tag);
    if (known !== undefined && known.state !== DialogState.Terminated) {
      if (s >= 200 && known.state === DialogState.Early) known.confirm(response);
      return known;
    }
    if (known !== undefined) return undefined; // a response for a dialog already over
    return this.#add(createUacDialog(this.request, response, this.#options));
  }

  /** A NOTIFY for our SUBSCRIBE (RFC 6665 §4.1.2.4): the dialog of its notifier. */
  receiveNotify(notify: SipRequest): Dialog | undefined {
    const tag = notify.from.tag;
    if (tag === undefined) return undefined;
    const known = this.#byTag.get(tag);
    if (known !== undefined) return known.state === DialogState.Terminated ? undefined : known;
    return this.#add(createDialogFromNotify(this.request, notify, this.#options));
  }

  /** Ends the early dialogs (a final non-2xx, or the INVITE transaction ended). */
  terminateEarly(): void {
    for (const d of this.#byTag.values()) if (d.state === DialogState.Early) d.terminate();
  }
}
