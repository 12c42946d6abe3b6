import { PageHeader } from "../components/ui/feedback";

export function Credentials() {
  return <PageHeader title="Credentials" />;
}
