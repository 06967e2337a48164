'use client';
/** The message inspector: filters, the live virtualised table, the detail panel of the selected message. */
import { useL2 } from '@/state/store';
import { InspectorFilters } from './InspectorFilters';
import { MessageDetail } from './MessageDetail';
import { MessageTable } from './MessageTable';

export function InspectorPane() {
  const selected = useL2((s) => s.ui.selectedMessage);
  return (
    <section className="pane insp-pane" aria-label="Message inspector">
      <InspectorFilters />
      <div className={`insp-body${selected !== null ? ' with-detail' : ''}`}>
        <MessageTable />
        {selected !== null && <MessageDetail id={selected} />}
      </div>
    </section>
  );
}
