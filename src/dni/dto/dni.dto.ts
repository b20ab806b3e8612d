// Response shapes of the DNI endpoints.
import { ApiProperty } from '@nestjs/swagger';

export class LeaseResponseDto {
  @ApiProperty() sid!: string;
  @ApiProperty({ nullable: true, description: 'E.164 number to show; null keeps the page number' }) number!:
    string | null;
  @ApiProperty({ description: 'The number is the pool overflow number (no lease)' }) overflow!: boolean;
  @ApiProperty({ type: [String], description: 'Numbers on the page that the snippet replaces' })
  targets!: string[];
  @ApiProperty({ description: 'Seconds the lease lives without a heartbeat' }) ttl!: number;
  @ApiProperty({ description: 'Seconds between heartbeats while the page is visible' }) heartbeat!: number;
}

export class PoolHealthResponseDto {
  @ApiProperty() poolId!: string;
  @ApiProperty() numbers!: number;
  @ApiProperty() liveLeases!: number;
  @ApiProperty({ description: 'live leases ÷ numbers' }) utilisation!: number;
  @ApiProperty() leaseRequests!: number;
  @ApiProperty({ description: 'requests that found no free number (overflow or none)' }) exhausted!: number;
  @ApiProperty({ description: 'exhausted ÷ lease requests' }) exhaustionRate!: number;
  @ApiProperty() peakConcurrentLeases!: number;
  @ApiProperty({ description: 'mean seconds a lease held its number' }) meanHoldS!: number;
  @ApiProperty({ description: 'offered load in Erlangs: lease rate × (hold + cooldown)' })
  offeredLoad!: number;
  @ApiProperty({ description: 'pool size for ≤ 1% overflow (Erlang B)' }) recommendedSize!: number;
}

export class EmbedResponseDto {
  @ApiProperty({ description: 'The tag to paste into the landing page <head>' }) html!: string;
  @ApiProperty() publicKey!: string;
  @ApiProperty() scriptUrl!: string;
}
