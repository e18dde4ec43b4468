/** Presence icons as Lync draws them, plus a few UI glyphs. Always paired with a text label. */
import type { AvailabilityClass } from '../presence/availability.js';

export function PresenceIcon({ cls, size = 14 }: { cls: AvailabilityClass; size?: number }) {
  const common = { width: size, height: size, viewBox: '0 0 16 16', 'aria-hidden': 'true' as const, class: `picon picon-${cls}`, focusable: 'false' as const };
  switch (cls) {
    case 'available':
      return (
        <svg {...common}>
          <circle cx="8" cy="8" r="7.5" fill="var(--p-available)" />
          <path d="M4.5 8.3l2.3 2.3 4.7-4.8" fill="none" stroke="#fff" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" />
        </svg>
      );
    case 'busy':
    case 'busy-idle':
      return (
        <svg {...common}>
          <circle cx="8" cy="8" r="7.5" fill="var(--p-busy)" />
          {cls === 'busy-idle' && <circle cx="8" cy="8" r="3.5" fill="var(--p-away)" />}
        </svg>
      );
    case 'dnd':
      return (
        <svg {...common}>
          <circle cx="8" cy="8" r="7.5" fill="var(--p-dnd)" />
          <rect x="3.5" y="6.8" width="9" height="2.4" rx="1" fill="#fff" />
        </svg>
      );
    case 'inactive':
    case 'away':
    case 'brb':
      return (
        <svg {...common}>
          <circle cx="8" cy="8" r="7.5" fill="var(--p-away)" />
          <path d="M8 4v4.2l2.8 1.8" fill="none" stroke="#fff" stroke-width="1.7" stroke-linecap="round" stroke-linejoin="round" />
        </svg>
      );
    default:
      return (
        <svg {...common}>
          <circle cx="8" cy="8" r="6.6" fill="none" stroke="var(--p-offline)" stroke-width="1.8" />
          <path d="M5.6 5.6l4.8 4.8M10.4 5.6l-4.8 4.8" stroke="var(--p-offline)" stroke-width="1.6" stroke-linecap="round" />
        </svg>
      );
  }
}

type G = { size?: number };
const svg = (size: number, d: string, extra?: Record<string, unknown>) => (
  <svg width={size} height={size} viewBox="0 0 24 24" aria-hidden="true" focusable="false" {...extra}>
    <path d={d} fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" />
  </svg>
);
export const SearchIcon = ({ size = 18 }: G) => svg(size, 'M11 4a7 7 0 1 1 0 14a7 7 0 0 1 0-14zM21 21l-5-5');
export const CloseIcon = ({ size = 16 }: G) => svg(size, 'M6 6l12 12M18 6L6 18');
export const MoreIcon = ({ size = 18 }: G) => svg(size, 'M5 12h.01M12 12h.01M19 12h.01', { 'stroke-width': 3.5 } as never);
export const SendIcon = ({ size = 18 }: G) => svg(size, 'M4 12l16-8-6 16-3-7-7-1z');
export const BackIcon = ({ size = 18 }: G) => svg(size, 'M15 5l-7 7 7 7');
export const ChatIcon = ({ size = 18 }: G) => svg(size, 'M4 5h16v11H9l-5 4z');
export const PlusIcon = ({ size = 18 }: G) => svg(size, 'M12 5v14M5 12h14');
export const ChevronIcon = ({ size = 14, open }: G & { open: boolean }) =>
  svg(size, 'M9 6l6 6-6 6', { style: { transform: open ? 'rotate(90deg)' : 'none', transition: 'transform .15s' } } as never);
export const ShieldIcon = ({ size = 18 }: G) => svg(size, 'M12 3l8 3v6c0 5-3.5 8-8 9-4.5-1-8-4-8-9V6z');
export const PeopleIcon = ({ size = 18 }: G) => svg(size, 'M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM2 21c0-4 3-6 7-6s7 2 7 6M17 11a3 3 0 0 0 0-6M22 21c0-3-2-5-5-5.5');
export const SignOutIcon = ({ size = 18 }: G) => svg(size, 'M15 4h4v16h-4M10 8l-4 4 4 4M6 12h10');

export function Logo({ size = 28 }: G) {
  return (
    <svg width={size} height={size} viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <rect width="32" height="32" rx="8" fill="var(--brand)" />
      <path d="M9 9h9a5 5 0 0 1 0 10h-4v4H9z" fill="#fff" />
      <circle cx="23.5" cy="22.5" r="3.5" fill="var(--p-available)" stroke="#fff" stroke-width="1.5" />
    </svg>
  );
}
