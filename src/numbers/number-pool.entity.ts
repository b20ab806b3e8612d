import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type PoolKind = 'session' | 'static';

@Entity('number_pools')
export class NumberPoolEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId!: string;
  @Column('uuid', { name: 'campaign_id' }) campaignId!: string;
  @Column('uuid', { name: 'publisher_id', nullable: true }) publisherId!: string | null;
  @Column('text') name!: string;
  /** session: numbers leased to visitors (DNI); static: one number per publisher/source, never leased. */
  @Column('text') kind!: PoolKind;
  @Column('int', { name: 'lease_idle_s' }) leaseIdleS!: number;
  @Column('int', { name: 'cooldown_s' }) cooldownS!: number;
  @Column('text', { name: 'overflow_number', nullable: true }) overflowNumber!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
