'use client';
/** The topology page: the live topology above the message inspector. */
import { useSplit } from '@/hooks/use-split';
import { useSyncFeatures } from '@/hooks/use-sync';
import { Header } from './Header';
import { InspectorPane } from './inspector/InspectorPane';
import { TopologyPane } from './topology/TopologyPane';

/** The dashboard's main page (keeps the model, the inspector and the host view in sync). */
export function Dashboard() {
  useSyncFeatures('model', 'inspector', 'nodes');
  const { fraction, handleProps } = useSplit('l2scope.split', 0.56);

  return (
    <div className="app">
      <Header />
      <main className="workspace" style={{ gridTemplateRows: `${fraction}fr 6px ${1 - fraction}fr` }}>
        <TopologyPane />
        <div
          className="splitter"
          role="separator"
          aria-orientation="horizontal"
          aria-label="Resize topology and inspector"
          aria-valuenow={Math.round(fraction * 100)}
          aria-valuemin={15}
          aria-valuemax={85}
          tabIndex={0}
          data-testid="pane-splitter"
          {...handleProps}
        />
        <InspectorPane />
      </main>
    </div>
  );
}
