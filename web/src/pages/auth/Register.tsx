import { PageHeader } from "../../components/ui/feedback";

export function Register() {
  return <PageHeader title="Register" />;
}
