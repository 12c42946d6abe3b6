import { PageHeader } from "../components/ui/feedback";

export function Calendar() {
  return <PageHeader title="Calendar" />;
}
