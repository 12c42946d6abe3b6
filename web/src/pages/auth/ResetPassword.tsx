import { PageHeader } from "../../components/ui/feedback";

export function ResetPassword() {
  return <PageHeader title="ResetPassword" />;
}
