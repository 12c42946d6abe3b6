import { PageHeader } from "../components/ui/feedback";

export function NewOrg() {
  return <PageHeader title="NewOrg" />;
}
