/** Small shared pieces: avatar with presence bar, presence label, menu button, dialog. */
import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { availabilityText, CLASS_LABEL, type Presence } from '../presence/availability.js';
import { PresenceIcon } from './icons.js';

export function initials(name: string): string {
  const words = name.replace(/@.*/, '').split(/[\s._-]+/).filter(Boolean);
  return ((words[0]?.[0] ?? '?') + (words.length > 1 ? words[words.length - 1][0] : '')).toUpperCase();
}

/** Initials on a colour from the name, with Lync's presence bar on the left. */
export function Avatar({ name, presence, size = 40 }: { name: string; presence?: Presence; size?: number }) {
  let h = 0;
  for (const c of name) h = (h * 31 + c.charCodeAt(0)) % 360;
  return (
    <span class={`avatar ${presence ? `pbar pbar-${presence.cls}` : ''}`} style={{ width: `${size}px`, height: `${size}px`, '--hue': String(h) } as never} aria-hidden="true">
      <span class="avatar-initials" style={{ fontSize: `${Math.round(size * 0.38)}px` }}>
        {initials(name)}
      </span>
    </span>
  );
}

/** Icon and text: never colour alone. */
export function PresenceLabel({ presence, now, short }: { presence: Presence; now?: number; short?: boolean }) {
  const text = short ? CLASS_LABEL[presence.cls] : availabilityText(presence, now);
  return (
    <span class={`plabel plabel-${presence.cls}`}>
      <PresenceIcon cls={presence.cls} />
      <span class="plabel-text">{text}</span>
    </span>
  );
}

export interface MenuItem {
  readonly label: string;
  readonly icon?: ComponentChildren;
  readonly checked?: boolean;
  readonly onSelect: () => void;
  readonly danger?: boolean;
  readonly separatorBefore?: boolean;
}

/** A menu button (WAI-ARIA APG menu button pattern): arrows move, Enter/Space choose, Escape closes. */
export function MenuButton({ label, items, children, class: cls, align = 'start' }: { label: string; items: readonly MenuItem[]; children: ComponentChildren; class?: string; align?: 'start' | 'end' }) {
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  const [focusIndex, setFocusIndex] = useState(0);

  useLayoutEffect(() => {
    if (open) (menu.current?.querySelectorAll<HTMLElement>('[role^=menuitem]')[focusIndex])?.focus();
  }, [open, focusIndex]);

  useEffect(() => {
    if (!open) return;
    const away = (e: Event) => {
      if (!menu.current?.contains(e.target as Node) && !button.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('pointerdown', away, true);
    return () => document.removeEventListener('pointerdown', away, true);
  }, [open]);

  const close = (refocus = true) => {
    setOpen(false);
    if (refocus) button.current?.focus();
  };
  const onKey = (e: KeyboardEvent) => {
    const n = items.length;
    if (e.key === 'ArrowDown') setFocusIndex((i) => (i + 1) % n);
    else if (e.key === 'ArrowUp') setFocusIndex((i) => (i - 1 + n) % n);
    else if (e.key === 'Home') setFocusIndex(0);
    else if (e.key === 'End') setFocusIndex(n - 1);
    else if (e.key === 'Escape') close();
    else if (e.key === 'Tab') setOpen(false);
    else return;
    e.preventDefault();
  };
  const checkable = items.some((i) => i.checked !== undefined);
  return (
    <span class="menu-wrap">
      <button
        ref={button}
        type="button"
        class={cls ?? 'icon-button'}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-label={label}
        title={label}
        onClick={() => {
          setFocusIndex(Math.max(0, items.findIndex((i) => i.checked)));
          setOpen(!open);
        }}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
            e.preventDefault();
            setFocusIndex(e.key === 'ArrowDown' ? 0 : items.length - 1);
            setOpen(true);
          }
        }}
      >
        {children}
      </button>
      {open && (
        <div ref={menu} role="menu" aria-label={label} class={`menu menu-${align}`} onKeyDown={onKey}>
          {items.map((it, i) => (
            <div
              key={it.label}
              role={checkable ? 'menuitemradio' : 'menuitem'}
              aria-checked={checkable ? !!it.checked : undefined}
              tabIndex={i === focusIndex ? 0 : -1}
              class={`menu-item ${it.danger ? 'danger' : ''} ${it.separatorBefore ? 'sep' : ''}`}
              onClick={() => {
                close();
                it.onSelect();
              }}
              onKeyDown={(e) => {
                if (e.key === 'Enter' || e.key === ' ') {
                  e.preventDefault();
                  close();
                  it.onSelect();
                }
              }}
            >
              {it.icon}
              <span>{it.label}</span>
              {it.checked && <span class="menu-check" aria-hidden="true">✓</span>}
            </div>
          ))}
        </div>
      )}
    </span>
  );
}

/** A modal dialog on the native <dialog> (focus trap, Escape, inert background). */
export function Modal({ title, onClose, children, wide }: { title: string; onClose: () => void; children: ComponentChildren; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => d?.close();
  }, []);
  return (
    <dialog ref={ref} class={`modal ${wide ? 'wide' : ''}`} aria-labelledby="modal-title" onClose={onClose} onCancel={(e) => { e.preventDefault(); onClose(); }}>
      <div class="modal-head">
        <h2 id="modal-title">{title}</h2>
        <button type="button" class="icon-button" aria-label="Close" onClick={onClose}>
          ✕
        </button>
      </div>
      <div class="modal-body">{children}</div>
    </dialog>
  );
}

export function formatTime(t: number, now = Date.now()): string {
  const d = new Date(t);
  const today = new Date(now);
  const sameDay = d.toDateString() === today.toDateString();
  const time = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  if (sameDay) return time;
  return `${d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })} ${time}`;
}
