import { Dashboard } from '@/components/Dashboard';
import { earlyModelScript } from '@/lib/early-model';

/**
 * The dashboard: live topology and message inspector. Its HTML requests the first model as it is
 * parsed, before the page's JavaScript has loaded (lib/early-model.ts).
 */
export default function Page() {
  return (
    <>
      <script dangerouslySetInnerHTML={{ __html: earlyModelScript() }} />
      <Dashboard />
    </>
  );
}
