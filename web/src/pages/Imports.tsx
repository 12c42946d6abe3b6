import { useParams } from "react-router";
import { ImportDetail } from "../components/imports/ImportDetail";
import { ImportForm } from "../components/imports/ImportForm";
import { ImportList } from "../components/imports/ImportList";
import { PageHeader } from "../components/ui/feedback";
import { useOrg } from "../lib/session";

/**
 * Imports of long videos (`/orgs/:orgId/imports`): a form to start one from a
 * link or an upload (editors and up) and the list with each one's stage. With
 * `:importId`, that import: its video and its transcripts to read, search and
 * jump through, and its highlights to make into slots.
 */
export function Imports() {
  const org = useOrg();
  const { importId } = useParams();
  if (importId) return <ImportDetail key={importId} importId={importId} />;
  return (
    <div className="space-y-4">
      <PageHeader title="Import" />
      <p className="max-w-prose text-sm text-slate-600">
        Bring in a long video from YouTube (or any page with a video) or from a file: Reelpilot downloads it,
        transcribes what is said, translates the transcript into the languages you choose and cuts its best
        moments into vertical clips with captions, ready to become slots of a month plan.
      </p>
      {org.can("edit_content") && <ImportForm />}
      <ImportList />
    </div>
  );
}
