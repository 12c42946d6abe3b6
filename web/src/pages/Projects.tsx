import { PageHeader } from "../components/ui/feedback";

export function Projects() {
  return <PageHeader title="Projects" />;
}
