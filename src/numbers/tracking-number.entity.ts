import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type NumberStatus = 'active' | 'inactive' | 'provisioning' | 'released';

@Entity('tracking_numbers')
export class TrackingNumberEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId!: string;
  @Column('uuid', { name: 'pool_id' }) poolId!: string;
  @Column('text') number!: string;
  @Column('text') status!: NumberStatus;
  /** The carrier's id for the number (Telnyx phone number id), once provisioned. */
  @Column('text', { name: 'carrier_id', nullable: true }) carrierId!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
