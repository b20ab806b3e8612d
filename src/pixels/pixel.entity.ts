import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { PixelEvent } from './pixel-context';

export type PixelMethod = 'GET' | 'POST' | 'PUT' | 'PATCH';

/** A conversion pixel / webhook: fired for the tenant's calls, optionally only one campaign's or publisher's. */
@Entity('pixels')
export class PixelEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId!: string;
  @Column('text') name!: string;
  @Column('uuid', { name: 'campaign_id', nullable: true }) campaignId!: string | null;
  @Column('uuid', { name: 'publisher_id', nullable: true }) publisherId!: string | null;
  @Column('text', { array: true }) events!: PixelEvent[];
  @Column('text') method!: PixelMethod;
  @Column('text', { name: 'url_template' }) urlTemplate!: string;
  @Column('text', { name: 'body_template', nullable: true }) bodyTemplate!: string | null;
  @Column('text', { name: 'content_type', nullable: true }) contentType!: string | null;
  @Column('jsonb') headers!: Record<string, string>;
  /** HMAC key of the signature header; returned by the API only when created or rotated. */
  @Column('text') secret!: string;
  @Column('boolean') enabled!: boolean;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
