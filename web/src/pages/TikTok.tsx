import { PageHeader } from "../components/ui/feedback";

export function TikTok() {
  return <PageHeader title="TikTok" />;
}
