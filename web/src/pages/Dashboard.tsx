import { PageHeader } from "../components/ui/feedback";

export function Dashboard() {
  return <PageHeader title="Dashboard" />;
}
