import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** A caller a tenant refuses: their calls are rejected before anything else happens. */
@Entity('blocked_numbers')
export class BlockedNumberEntity {
  @PrimaryColumn('uuid', { name: 'tenant_id' }) tenantId!: string;
  @PrimaryColumn('text') number!: string;
  @Column('text') reason!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
