import { PageHeader } from "../../components/ui/feedback";

export function AcceptInvitation() {
  return <PageHeader title="AcceptInvitation" />;
}
