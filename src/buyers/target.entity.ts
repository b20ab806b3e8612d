import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { Schedule } from '../common/schedule';
import type { TagFilter } from '../common/tag-filter';
import type { RecordStatus } from './buyer.entity';
import type { PingSpec } from './ping-spec';

export const TARGET_KINDS = ['static', 'ping_post'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

export const CAP_PERIODS = ['hour', 'day', 'month', 'total'] as const;
export type CapPeriod = (typeof CAP_PERIODS)[number];

/** Caps per period; counts are integers, revenue is a money string. Absent = no cap. */
export interface TargetCaps {
  calls?: Partial<Record<CapPeriod, number>>;
  conversions?: Partial<Record<CapPeriod, number>>;
  revenue?: Partial<Record<CapPeriod, string>>;
}

@Entity('targets')
export class TargetEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId!: string;
  @Column('uuid', { name: 'buyer_id' }) buyerId!: string;
  @Column('text') name!: string;
  @Column('text') kind!: TargetKind;
  @Column('text') status!: RecordStatus;
  /** Static: the destination. Ping/post: the fallback when the response carries none. E.164 or SIP URI. */
  @Column('text', { nullable: true }) destination!: string | null;
  /** numeric(14,4), as pg returns it (a string). Static: fixed revenue; ping/post: fixed bid if no bid path. */
  @Column('numeric', { precision: 14, scale: 4, nullable: true }) revenue!: string | null;
  /** Talk seconds for a conversion; null = the campaign's default. */
  @Column('integer', { name: 'conversion_seconds', nullable: true }) conversionSeconds!: number | null;
  @Column('integer', { name: 'ring_timeout_s' }) ringTimeoutS!: number;
  @Column('integer') priority!: number;
  @Column('integer') weight!: number;
  @Column('jsonb', { nullable: true }) ping!: PingSpec | null;
  @Column('jsonb') caps!: TargetCaps;
  @Column('integer', { name: 'concurrency_cap', nullable: true }) concurrencyCap!: number | null;
  @Column('jsonb', { nullable: true }) schedule!: Schedule | null;
  @Column('jsonb') filters!: TagFilter[];
  @Column('integer', { name: 'cache_window_s' }) cacheWindowS!: number;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
