import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

@Entity('publishers')
export class PublisherEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId!: string;
  @Column('text') name!: string;
  @Column('text') status!: 'active' | 'paused' | 'archived';
  @Column('text', { name: 'payout_type' }) payoutType!: 'fixed' | 'percent';
  @Column('numeric', { name: 'payout_amount', precision: 14, scale: 4, nullable: true }) payoutAmount!:
    string | null;
  @Column('numeric', { name: 'payout_percent', precision: 7, scale: 4, nullable: true }) payoutPercent!:
    string | null;
  @Column('numeric', { name: 'payout_min', precision: 14, scale: 4, nullable: true }) payoutMin!:
    string | null;
  @Column('numeric', { name: 'payout_max', precision: 14, scale: 4, nullable: true }) payoutMax!:
    string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
