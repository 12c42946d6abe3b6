import { PageHeader } from "../../components/ui/feedback";

export function VerifyEmail() {
  return <PageHeader title="VerifyEmail" />;
}
