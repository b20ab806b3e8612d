import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../common/pagination';
import { IsE164Number } from '../../common/validators';
import { FINAL_STATES } from '../call-machine';

export class CallQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: FINAL_STATES }) @IsOptional() @IsIn(FINAL_STATES) state?: string;
  @ApiPropertyOptional() @IsOptional() @IsUUID() campaignId?: string;
}

export class CallLegDto {
  @ApiProperty({ enum: ['A', 'B'] }) leg!: 'A' | 'B';
  @ApiProperty({ nullable: true, type: Number }) attempt!: number | null;
  @ApiProperty({ nullable: true, type: String }) targetId!: string | null;
  @ApiProperty({ nullable: true, type: String }) destination!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'B legs: connected, busy, no_answer, …' })
  outcome!: string | null;
  @ApiProperty({ nullable: true, type: String }) startedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) answeredAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) endedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) hangupCause!: string | null;
  @ApiProperty({ nullable: true, type: String }) hangupSource!: string | null;
  @ApiProperty({ nullable: true, type: String }) sipHangupCause!: string | null;
}

export class CallAuctionDto {
  @ApiProperty({ description: 'Ping/post buyers asked (cached answers included)' }) pings!: number;
  @ApiProperty({ description: 'Valid bids, static targets included' }) bids!: number;
  @ApiProperty({ nullable: true, type: String, example: '42.00' }) winningBid!: string | null;
  @ApiProperty({ nullable: true, type: String, example: '35.50' }) runnerUpBid!: string | null;
}

export class CallResponseDto {
  @ApiProperty() id!: string;
  @ApiProperty() callSessionId!: string;
  @ApiProperty({ enum: FINAL_STATES }) state!: string;
  @ApiProperty({ nullable: true, type: String }) reason!: string | null;
  @ApiProperty({ nullable: true, type: String }) campaignId!: string | null;
  @ApiProperty({ nullable: true, type: String }) publisherId!: string | null;
  @ApiProperty({ nullable: true, type: String }) poolId!: string | null;
  @ApiProperty({ nullable: true, type: String }) buyerId!: string | null;
  @ApiProperty({ nullable: true, type: String }) targetId!: string | null;
  @ApiProperty() trackingNumber!: string;
  @ApiProperty() caller!: string;
  @ApiProperty({ nullable: true, type: String }) destination!: string | null;
  @ApiProperty({ description: 'Repeat caller inside the payout-duplicate window (no payout)' })
  duplicate!: boolean;
  @ApiProperty({ nullable: true, type: String }) attributionMethod!: string | null;
  @ApiProperty({ nullable: true, type: Number }) attributionConfidence!: number | null;
  @ApiProperty({ nullable: true, type: String }) dniSessionId!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) tags!: Record<string, string>;
  @ApiProperty() receivedAt!: string;
  @ApiProperty({ nullable: true, type: String }) answeredAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) routingAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) ringingAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) connectedAt!: string | null;
  @ApiProperty() endedAt!: string;
  @ApiProperty() ringMs!: number;
  @ApiProperty() talkMs!: number;
  @ApiProperty() totalMs!: number;
  @ApiProperty() attempts!: number;
  @ApiProperty() converted!: boolean;
  @ApiProperty({ nullable: true, type: Number }) conversionSeconds!: number | null;
  @ApiProperty({ example: '35.00' }) revenue!: string;
  @ApiProperty({ example: '10.00' }) payout!: string;
  @ApiProperty({ example: '25.00' }) profit!: string;
  @ApiProperty({ nullable: true, type: String }) hangupCause!: string | null;
  @ApiProperty({ nullable: true, type: String }) hangupSource!: string | null;
  @ApiProperty({ nullable: true, type: String }) sipHangupCause!: string | null;
  @ApiProperty({ type: [CallLegDto] }) legs!: CallLegDto[];
  @ApiProperty({ nullable: true, type: () => CallAuctionDto, description: 'The auction that sold the call' })
  auction!: CallAuctionDto | null;
}

export class LiveCallResponseDto {
  @ApiProperty() id!: string;
  @ApiProperty() callSessionId!: string;
  @ApiProperty({ enum: ['received', 'answered', 'routing', 'ringing', 'connected', 'ending'] })
  phase!: string;
  @ApiProperty({ nullable: true, type: String }) campaignId!: string | null;
  @ApiProperty({ nullable: true, type: String }) publisherId!: string | null;
  @ApiProperty({ nullable: true, type: String }) trackingNumber!: string | null;
  @ApiProperty({ nullable: true, type: String }) caller!: string | null;
  @ApiProperty({ nullable: true, type: String }) targetId!: string | null;
  @ApiProperty({ nullable: true, type: String }) buyerId!: string | null;
  @ApiProperty({ nullable: true, type: String }) destination!: string | null;
  @ApiProperty() attempts!: number;
  @ApiProperty() receivedAt!: string;
  @ApiProperty({ nullable: true, type: String }) answeredAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) connectedAt!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) tags!: Record<string, string>;
}

export class LiveCallsResponseDto {
  @ApiProperty({ type: [LiveCallResponseDto] }) items!: LiveCallResponseDto[];
  @ApiProperty() total!: number;
}

export class BlockNumberDto {
  @ApiProperty({ example: '+15125550123' }) @IsE164Number() number!: string;
  @ApiPropertyOptional({ maxLength: 200 }) @IsOptional() @IsString() @MaxLength(200) reason?: string;
}

export class BlockedNumberResponseDto {
  @ApiProperty() number!: string;
  @ApiProperty() reason!: string;
  @ApiProperty() createdAt!: string;
}
