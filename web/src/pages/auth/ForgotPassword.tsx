import { PageHeader } from "../../components/ui/feedback";

export function ForgotPassword() {
  return <PageHeader title="ForgotPassword" />;
}
