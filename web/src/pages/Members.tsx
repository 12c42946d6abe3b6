import { PageHeader } from "../components/ui/feedback";

export function Members() {
  return <PageHeader title="Members" />;
}
