import { PageHeader } from "../components/ui/feedback";

export function Analytics() {
  return <PageHeader title="Analytics" />;
}
