import { PageHeader } from "../components/ui/feedback";

export function Queue() {
  return <PageHeader title="Queue" />;
}
