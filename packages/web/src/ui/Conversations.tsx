/** Open conversations as tabs; the active one's messages, typing indicator and composer. */
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { App, ChatMessage } from '../state/app.js';
import { useStore } from '../state/store.js';
import { Avatar, formatTime, PresenceLabel } from './common.js';
import { BackIcon, ChatIcon, CloseIcon, SendIcon } from './icons.js';

const STATUS_TEXT: Record<ChatMessage['status'], string> = {
  sending: 'Sending…',
  delivered: '',
  stored: 'Will be delivered when they sign in',
  pending: 'Will be delivered when they sign in',
  failed: 'Not delivered',
  missed: 'Missed',
};

function Tabs({ app }: { app: App }) {
  const open = useStore(app.store, (s) => s.open);
  const active = useStore(app.store, (s) => s.active);
  const conversations = useStore(app.store, (s) => s.conversations);
  const presence = useStore(app.store, (s) => s.presence);
  if (open.length === 0) return null;
  const onKey = (e: KeyboardEvent, i: number) => {
    let j = i;
    if (e.key === 'ArrowRight') j = (i + 1) % open.length;
    else if (e.key === 'ArrowLeft') j = (i - 1 + open.length) % open.length;
    else if (e.key === 'Home') j = 0;
    else if (e.key === 'End') j = open.length - 1;
    else if (e.key === 'Delete') {
      app.closeConversation(open[i]);
      return;
    } else return;
    e.preventDefault();
    app.openConversation(open[j]);
    document.getElementById(`conv-tab-${j}`)?.focus();
  };
  return (
    <div class="conv-tabs" role="tablist" aria-label="Open conversations">
      {open.map((peer, i) => {
        const c = conversations[peer];
        const p = presence[peer] ?? app.presenceOf(peer);
        const name = app.displayName(peer);
        const selected = peer === active;
        return (
          <div class={`conv-tab ${selected ? 'selected' : ''}`} key={peer} role="presentation">
            <button
              type="button"
              role="tab"
              id={`conv-tab-${i}`}
              aria-selected={selected}
              aria-controls="conversation-panel"
              tabIndex={selected ? 0 : -1}
              onClick={() => app.openConversation(peer)}
              onKeyDown={(e) => onKey(e, i)}
              data-peer={peer}
            >
              <span class={`dot dot-${p.cls}`} aria-hidden="true" />
              <span class="conv-tab-name">{name}</span>
              {c && c.unread > 0 && <span class="badge small" aria-label={`${c.unread} unread`}>{c.unread}</span>}
              {c?.composing && <span class="visually-hidden">, typing</span>}
            </button>
            {/* For the pointer only: a tab list holds tabs alone (keyboard: Delete, or the Close button in the header). */}
            <button type="button" class="icon-button tab-close" aria-hidden="true" tabIndex={-1} title={`Close conversation with ${name}`} onClick={() => app.closeConversation(peer)}>
              <CloseIcon size={12} />
            </button>
          </div>
        );
      })}
    </div>
  );
}

function Messages({ app, peer }: { app: App; peer: string }) {
  const c = useStore(app.store, (s) => s.conversations[peer]);
  const me = useStore(app.store, (s) => s.user);
  const now = useStore(app.store, (s) => s.now);
  const list = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  useLayoutEffect(() => {
    const el = list.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [c?.messages.length, c?.composing, peer]);
  if (!c) return null;
  const name = app.displayName(peer);
  const myName = me?.displayName ?? me?.address ?? 'Me';
  let lastDay = '';
  return (
    <div
      class="messages"
      ref={list}
      role="log"
      aria-label={`Messages with ${name}`}
      aria-live="polite"
      tabIndex={0}
      onScroll={(e) => {
        const el = e.currentTarget;
        stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
      }}
    >
      {c.next && (
        <button type="button" class="link-button load-older" onClick={() => void app.loadOlder(peer)}>
          Show earlier messages
        </button>
      )}
      {!c.loaded && <p class="muted center">Loading history…</p>}
      {c.loaded && c.messages.length === 0 && <p class="muted center empty-conv">This is the start of your conversation with {name}.</p>}
      {c.messages.map((m, i) => {
        const day = new Date(m.at).toDateString();
        const showDay = day !== lastDay;
        lastDay = day;
        const prev = c.messages[i - 1];
        const grouped = !showDay && prev && prev.direction === m.direction && m.at - prev.at < 120_000;
        return (
          <div key={m.key}>
            {showDay && (
              <div class="day-sep" role="separator">
                <span>{new Date(m.at).toLocaleDateString(undefined, { weekday: 'long', month: 'long', day: 'numeric' })}</span>
              </div>
            )}
            <div class={`msg msg-${m.direction} ${grouped ? 'grouped' : ''} status-${m.status}`} data-direction={m.direction} data-status={m.status}>
              {!grouped && (
                <div class="msg-meta">
                  <span class="msg-author">{m.direction === 'sent' ? myName : name}</span> <time dateTime={new Date(m.at).toISOString()}>{formatTime(m.at, now)}</time>
                </div>
              )}
              <div class="msg-bubble">{m.body}</div>
              {STATUS_TEXT[m.status] && <div class={`msg-status ${m.status === 'failed' ? 'error' : ''}`}>{STATUS_TEXT[m.status]}</div>}
            </div>
          </div>
        );
      })}
    </div>
  );
}

function Composer({ app, peer }: { app: App; peer: string }) {
  const [drafts] = useState(() => new Map<string, string>());
  const [text, setText] = useState('');
  const ref = useRef<HTMLTextAreaElement>(null);
  const link = useStore(app.store, (s) => s.link);
  useEffect(() => {
    setText(drafts.get(peer) ?? '');
    ref.current?.focus();
  }, [peer]);
  const send = () => {
    const t = text;
    if (t.trim() === '') return;
    setText('');
    drafts.delete(peer);
    void app.send(peer, t);
  };
  const name = app.displayName(peer);
  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
    >
      <label class="visually-hidden" for="composer-input">
        Message to {name}
      </label>
      <textarea
        id="composer-input"
        ref={ref}
        rows={2}
        placeholder={link === 'online' ? `Message ${name}` : 'Reconnecting… you can type, and send once connected'}
        value={text}
        onInput={(e) => {
          const v = e.currentTarget.value;
          setText(v);
          drafts.set(peer, v);
          app.typing(peer, v.trim() !== '');
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            send();
          }
        }}
      />
      <button type="submit" class="primary send-button" aria-label="Send message" disabled={text.trim() === '' || link !== 'online'}>
        <SendIcon />
      </button>
    </form>
  );
}

export function ConversationsPane({ app }: { app: App }) {
  const active = useStore(app.store, (s) => s.active);
  const p = useStore(app.store, (s) => (active ? s.presence[active] : undefined));
  const composing = useStore(app.store, (s) => (active ? (s.conversations[active]?.composing ?? false) : false));
  const now = useStore(app.store, (s) => s.now);
  useStore(app.store, (s) => (active ? s.contacts[active] : undefined));
  if (!active) {
    return (
      <main class="conversation empty" aria-label="Conversations">
        <Tabs app={app} />
        <div class="placeholder">
          <ChatIcon size={48} />
          <h2>No conversation open</h2>
          <p class="muted">Choose a contact to send an instant message. Conversations you have open stay here as tabs.</p>
        </div>
      </main>
    );
  }
  const presence = p ?? app.presenceOf(active);
  const name = app.displayName(active);
  return (
    <main class="conversation" aria-label={`Conversation with ${name}`}>
      <Tabs app={app} />
      <div id="conversation-panel" role="tabpanel" class="conv-panel" aria-label={name}>
        <header class="conv-head">
          <button type="button" class="icon-button back-button" aria-label="Back to contacts" onClick={() => app.showList()}>
            <BackIcon />
          </button>
          <Avatar name={name} presence={presence} size={44} />
          <div class="conv-title">
            <h2>{name}</h2>
            <div class="conv-sub">
              <PresenceLabel presence={presence} now={now} />
              {presence.note && <span class="conv-note">{presence.note}</span>}
            </div>
          </div>
          <button type="button" class="icon-button conv-close" aria-label={`Close conversation with ${name}`} title="Close conversation" onClick={() => app.closeConversation(active)}>
            <CloseIcon size={16} />
          </button>
        </header>
        <Messages app={app} peer={active} />
        <div class="typing" aria-live="polite">
          {composing && (
            <span class="typing-indicator">
              <span class="typing-dots" aria-hidden="true">
                <i />
                <i />
                <i />
              </span>
              {name} is typing…
            </span>
          )}
        </div>
        <Composer app={app} peer={active} />
      </div>
    </main>
  );
}
