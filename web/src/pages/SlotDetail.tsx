import { PageHeader } from "../components/ui/feedback";

export function SlotDetail() {
  return <PageHeader title="SlotDetail" />;
}
