import { PageHeader } from "../components/ui/feedback";

export function Sessions() {
  return <PageHeader title="Sessions" />;
}
