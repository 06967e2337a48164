'use client';
/**
 * The time slider (docs/operations.md#history): "History" puts the pages in "as of T" mode (`?at=`
 * in the URL); a range input over what history covers moves T, the badge says which T is shown,
 * "Live" returns to the live view. Data shaping is in `history/time-range.ts` and `use-as-of.ts`.
 */
import { sliderSpan } from '@/history/time-range';
import { useAsOf, useHistoryAt } from '@/hooks/use-as-of';
import { useNow } from '@/hooks/use-live-query';
import { useSliderTime } from '@/hooks/use-slider-time';
import { dateTime } from '@/lib/format';

/** The header's time control. */
export function TimeControl() {
  const { at, setAt } = useAsOf();
  if (!at)
    return (
      <button
        type="button"
        className="status-chip link"
        data-testid="history-open"
        title="Show the topology, the hosts and the findings as of a past time (time slider)"
        onClick={() => setAt(new Date().toISOString())}
      >
        History
      </button>
    );
  return <AsOfSlider at={at} setAt={setAt} />;
}

function AsOfSlider({ at, setAt }: { at: string; setAt: (at: string | null) => void }) {
  const q = useHistoryAt(at);
  const now = useNow(30_000);
  const atMs = Date.parse(at);
  const span = sliderSpan(q.data?.bounds, now, atMs);
  // the thumb follows the hand at once; the URL (and the queries) once it rests
  const [value, setValue] = useSliderTime(atMs, setAt);
  const exact = q.data?.exact ?? true;

  return (
    <div className="time-control" data-testid="time-control">
      <span
        className={`badge ${exact ? 'tone-info' : 'tone-warn'}`}
        data-testid="as-of-badge"
        data-at={at}
        data-exact={String(exact)}
        title={
          exact ? 'Live updates are paused: the pages show the stored history as of this time' : 'Older than the retained history: the answer may be incomplete'
        }
      >
        as of {dateTime(value)}
      </span>
      <input
        type="range"
        aria-label="Time (as of)"
        data-testid="time-slider"
        min={span.min}
        max={span.max}
        step={1}
        value={value}
        onChange={(e) => setValue(Number(e.target.value))}
      />
      <button type="button" className="status-chip link ok" data-testid="history-live" onClick={() => setAt(null)} title="Back to the live view">
        Live
      </button>
    </div>
  );
}
