'use client';
/** Detail of one message: summary, decoded tree, AMQP properties, raw body (text or base64). */
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { JsonView, defaultStyles } from 'react-json-view-lite';
import { bytes, count, dateTime } from '@/lib/format';
import { type RouterOutputs, useTRPC } from '@/lib/trpc';
import { dispatch } from '@/state/store';
import { MessagePorts } from '../neutron/MessagePorts';

/** Raw bodies longer than this are cut in the view (the full body is in the export). */
const RAW_VIEW_CHARS = 64 * 1024;
const expandTo = (depth: number) => (level: number) => level < depth;
/** Small messages open fully (fdb_entries nest 8 levels deep); large ones open their top levels. */
const FULLY_EXPANDED_MAX_CHARS = 24 * 1024;
const jsonStyles = { ...defaultStyles, container: 'json-tree' };

export function MessageDetail({ id }: { id: number }) {
  const trpc = useTRPC();
  const q = useQuery({ ...trpc.messages.get.queryOptions({ id }), staleTime: Infinity });
  const close = () => dispatch({ type: 'ui/selectMessage', id: null });

  return (
    <aside className="detail" data-testid="message-detail" data-id={id} aria-label={`Message ${id}`}>
      <div className="panel-head">
        <h2>
          Message #{id}
          {q.data && <span className="muted small"> {q.data.summary.ok ? (q.data.summary.method ?? '') : 'undecodable'}</span>}
        </h2>
        <button type="button" className="icon-btn" onClick={close} aria-label="Close message details" data-testid="message-detail-close">
          ✕
        </button>
      </div>
      <div className="panel-body">
        {q.isPending && <p className="muted">Loading…</p>}
        {q.isError && <p className="text-bad">Cannot load the message: {q.error.message}</p>}
        {q.data && <Body data={q.data} />}
      </div>
    </aside>
  );
}

type Detail = RouterOutputs['messages']['get'];

function Body({ data }: { data: Detail }) {
  const s = data.summary;
  return (
    <>
      <dl className="kv">
        <dt>Received</dt>
        <dd>{dateTime(s.receivedAt)}</dd>
        <dt>Exchange</dt>
        <dd className="mono">{s.exchange}</dd>
        <dt>Routing key</dt>
        <dd className="mono">{s.routingKey || <span className="muted">(empty)</span>}</dd>
        <dt>Method</dt>
        <dd className="mono">{s.method ?? '—'}</dd>
        {s.target && (
          <>
            <dt>Target</dt>
            <dd className="mono">{s.target}</dd>
          </>
        )}
        {!s.ok && (
          <>
            <dt>Error</dt>
            <dd className="text-bad" data-testid="message-detail-error">
              {s.error}
            </dd>
          </>
        )}
        {s.vnis.length > 0 && (
          <>
            <dt>VNIs</dt>
            <dd className="mono">{s.vnis.join(', ')}</dd>
          </>
        )}
        {s.vteps.length > 0 && (
          <>
            <dt>VTEPs</dt>
            <dd className="mono">{s.vteps.join(', ')}</dd>
          </>
        )}
        {s.hosts.length > 0 && (
          <>
            <dt>Hosts</dt>
            <dd>{s.hosts.join(', ')}</dd>
          </>
        )}
        {s.networks.length > 0 && (
          <>
            <dt>Networks</dt>
            <dd className="mono small">{s.networks.join(', ')}</dd>
          </>
        )}
        <dt>Size</dt>
        <dd>
          {count(s.size)} B · {s.source}
        </dd>
      </dl>

      <MessagePorts decoded={data.decoded} />
      <details open className="section" data-testid="message-decoded">
        <summary>Decoded</summary>
        {data.decoded !== null && data.decoded !== undefined && typeof data.decoded === 'object' ? (
          <JsonView
            data={data.decoded as object}
            shouldExpandNode={expandTo(JSON.stringify(data.decoded).length <= FULLY_EXPANDED_MAX_CHARS ? 64 : 3)}
            style={jsonStyles}
            aria-label="Decoded message tree"
          />
        ) : (
          <p className="muted small">{s.ok ? 'No decoded form stored.' : 'Not decodable: see the error and the raw body.'}</p>
        )}
      </details>

      <details className="section" data-testid="message-properties">
        <summary>AMQP properties</summary>
        <JsonView data={data.properties ?? {}} shouldExpandNode={expandTo(2)} style={jsonStyles} aria-label="AMQP properties tree" />
      </details>

      <RawBody raw={data.raw} />
    </>
  );
}

function RawBody({ raw }: { raw: Detail['raw'] }) {
  const [full, setFull] = useState(false);
  const text = raw.text ?? raw.base64 ?? '';
  const cut = !full && text.length > RAW_VIEW_CHARS;
  return (
    <details className="section" open data-testid="message-raw">
      <summary>
        Raw body <span className="muted small">{raw.text !== null ? 'UTF-8 text' : 'base64 (not valid UTF-8)'}</span>{' '}
        <span className="muted small">{bytes(raw.bytes)} stored</span>
        {raw.truncated && (
          <span className="badge l2pop-off" data-testid="message-raw-truncated" title="The worker stored only the first bytes of this body (--max-raw-bytes)">
            truncated
          </span>
        )}
      </summary>
      <pre className="raw">{cut ? text.slice(0, RAW_VIEW_CHARS) : text}</pre>
      {cut && (
        <button type="button" className="btn small" onClick={() => setFull(true)}>
          Show all {count(text.length)} characters
        </button>
      )}
    </details>
  );
}
