import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type CampaignStatus = 'active' | 'paused' | 'archived';

@Entity('campaigns')
export class CampaignEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId!: string;
  @Column('text') name!: string;
  @Column('text') vertical!: string;
  @Column('text') status!: CampaignStatus;
  /** Public key the DNI snippet carries; not a secret. */
  @Column('text', { name: 'public_key' }) publicKey!: string;
  @Column('int', { name: 'attribution_window_s' }) attributionWindowS!: number;
  @Column('int', { name: 'conversion_seconds' }) conversionSeconds!: number;
  @Column('int', { name: 'dup_routing_window_s' }) dupRoutingWindowS!: number;
  @Column('int', { name: 'dup_payout_window_s' }) dupPayoutWindowS!: number;
  @Column('int', { name: 'auction_deadline_ms' }) auctionDeadlineMs!: number;
  @Column('numeric', { name: 'floor_price', precision: 14, scale: 4 }) floorPrice!: string;
  @Column('text', { name: 'caller_id_policy' }) callerIdPolicy!: 'masked' | 'full';
  /** The numbers printed on landing pages that the snippet replaces (E.164). */
  @Column('text', { name: 'swap_numbers', array: true }) swapNumbers!: string[];
  /** URL parameter name → tag name, for custom parameters captured by the snippet. */
  @Column('jsonb', { name: 'param_tags' }) paramTags!: Record<string, string>;
  @Column('text', { name: 'unrouted_action' }) unroutedAction!: 'reject' | 'message';
  @Column('text', { name: 'unrouted_message' }) unroutedMessage!: string;
  @Column('text', { name: 'hold_message' }) holdMessage!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
