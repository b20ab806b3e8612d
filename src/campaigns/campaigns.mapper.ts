import { formatMoney, parseMoney } from '../common/money';
import { CampaignEntity } from './campaign.entity';
import { CampaignResponseDto } from './dto/campaign.dto';

export const toCampaignDto = (c: CampaignEntity): CampaignResponseDto => ({
  id: c.id,
  name: c.name,
  vertical: c.vertical,
  status: c.status,
  publicKey: c.publicKey,
  attributionWindowS: c.attributionWindowS,
  conversionSeconds: c.conversionSeconds,
  dupRoutingWindowS: c.dupRoutingWindowS,
  dupPayoutWindowS: c.dupPayoutWindowS,
  auctionDeadlineMs: c.auctionDeadlineMs,
  floorPrice: formatMoney(parseMoney(c.floorPrice)),
  callerIdPolicy: c.callerIdPolicy,
  swapNumbers: c.swapNumbers,
  paramTags: c.paramTags,
  unroutedAction: c.unroutedAction,
  unroutedMessage: c.unroutedMessage,
  holdMessage: c.holdMessage,
  createdAt: c.createdAt.toISOString(),
  updatedAt: c.updatedAt.toISOString(),
});
