import { PageHeader } from "../components/ui/feedback";

export function Library() {
  return <PageHeader title="Library" />;
}
