import { PageHeader } from "../components/ui/feedback";

export function ProjectPage() {
  return <PageHeader title="ProjectPage" />;
}
