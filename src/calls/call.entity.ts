import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { AuctionSummary } from '../cdr/cdr-row';
import type { LegRecord } from './call-summary';

/** The final record of a call, written once on its last hangup (with its cdr_outbox row). */
@Entity('calls')
export class CallEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId!: string;
  @Column('text', { name: 'call_session_id' }) callSessionId!: string;
  @Column('uuid', { name: 'campaign_id', nullable: true }) campaignId!: string | null;
  @Column('uuid', { name: 'publisher_id', nullable: true }) publisherId!: string | null;
  @Column('uuid', { name: 'pool_id', nullable: true }) poolId!: string | null;
  @Column('uuid', { name: 'buyer_id', nullable: true }) buyerId!: string | null;
  @Column('uuid', { name: 'target_id', nullable: true }) targetId!: string | null;
  @Column('text', { name: 'tracking_number' }) trackingNumber!: string;
  @Column('text') caller!: string;
  @Column('text', { nullable: true }) destination!: string | null;
  @Column('text') state!: string;
  @Column('text', { nullable: true }) reason!: string | null;
  @Column('boolean') duplicate!: boolean;
  @Column('text', { name: 'attribution_method', nullable: true }) attributionMethod!: string | null;
  @Column('numeric', { name: 'attribution_confidence', precision: 3, scale: 2, nullable: true })
  attributionConfidence!: string | null;
  @Column('text', { name: 'dni_session_id', nullable: true }) dniSessionId!: string | null;
  @Column('jsonb') tags!: Record<string, string>;
  @Column('timestamptz', { name: 'received_at' }) receivedAt!: Date;
  @Column('timestamptz', { name: 'answered_at', nullable: true }) answeredAt!: Date | null;
  @Column('timestamptz', { name: 'routing_at', nullable: true }) routingAt!: Date | null;
  @Column('timestamptz', { name: 'ringing_at', nullable: true }) ringingAt!: Date | null;
  @Column('timestamptz', { name: 'connected_at', nullable: true }) connectedAt!: Date | null;
  @Column('timestamptz', { name: 'ended_at' }) endedAt!: Date;
  @Column('integer', { name: 'ring_ms' }) ringMs!: number;
  @Column('integer', { name: 'talk_ms' }) talkMs!: number;
  @Column('integer', { name: 'total_ms' }) totalMs!: number;
  @Column('integer') attempts!: number;
  @Column('boolean') converted!: boolean;
  @Column('integer', { name: 'conversion_seconds', nullable: true }) conversionSeconds!: number | null;
  @Column('numeric', { precision: 14, scale: 4 }) revenue!: string;
  @Column('numeric', { precision: 14, scale: 4 }) payout!: string;
  @Column('numeric', { precision: 14, scale: 4 }) profit!: string;
  @Column('text', { name: 'hangup_cause', nullable: true }) hangupCause!: string | null;
  @Column('text', { name: 'hangup_source', nullable: true }) hangupSource!: string | null;
  @Column('text', { name: 'sip_hangup_cause', nullable: true }) sipHangupCause!: string | null;
  @Column('jsonb') legs!: LegRecord[];
  /** The auction that sold the call (pings, bids, winning and runner-up bid); null when none ran. */
  @Column('jsonb', { nullable: true }) auction!: AuctionSummary | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
