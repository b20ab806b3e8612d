// Response shapes of the reports API (documentation for Swagger; the service builds them).
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class ReportColumnDto {
  @ApiProperty({ example: 'campaign_name' }) key!: string;
  @ApiProperty({ example: 'Campaign name' }) label!: string;
  @ApiProperty({ enum: ['dimension', 'name', 'count', 'money', 'ratio', 'seconds'] }) kind!: string;
}

const ROW_DOC =
  'One object per group: each grouped dimension (ids for campaign/publisher/buyer/target, with <dim>_name ' +
  'from the configuration), then each metric: counts as numbers, money as decimal strings ("12.50"), ' +
  'conversion_rate as a fraction (0.25), avg_talk_time and time_to_connect in seconds.';

export class ReportResponseDto {
  @ApiProperty({ description: 'Start of the window (inclusive)' }) from!: string;
  @ApiProperty({ description: 'End of the window (exclusive)' }) to!: string;
  @ApiProperty({ example: 'America/New_York' }) timezone!: string;
  @ApiProperty({ type: [String], example: ['day', 'campaign'] }) groupBy!: string[];
  @ApiProperty({ type: [String], example: ['calls', 'revenue'] }) metrics!: string[];
  @ApiProperty({ type: [ReportColumnDto] }) columns!: ReportColumnDto[];
  @ApiProperty({ description: ROW_DOC, type: 'array', items: { type: 'object', additionalProperties: true } })
  rows!: Array<Record<string, string | number | boolean | null>>;
  @ApiPropertyOptional({
    nullable: true,
    description: 'The metrics over all rows (with totals=true)',
    type: 'object',
    additionalProperties: true,
  })
  totals!: Record<string, string | number | boolean | null> | null;
  @ApiProperty({ description: 'More groups exist than the limit returned' }) truncated!: boolean;
}

export class CallLogResponseDto {
  @ApiProperty() from!: string;
  @ApiProperty() to!: string;
  @ApiProperty() timezone!: string;
  @ApiProperty({ type: [ReportColumnDto] }) columns!: ReportColumnDto[];
  @ApiProperty({
    description:
      'CDRs newest first; the columns depend on the role (a publisher sees the caller masked, no revenue)',
    type: 'array',
    items: { type: 'object', additionalProperties: true },
  })
  items!: Array<Record<string, string | number | boolean | null>>;
  @ApiProperty() page!: number;
  @ApiProperty() limit!: number;
}

export class CatalogEntryDto {
  @ApiProperty() key!: string;
  @ApiProperty() label!: string;
  @ApiPropertyOptional() kind?: string;
}

export class CatalogResponseDto {
  @ApiProperty({ type: [CatalogEntryDto] }) dimensions!: CatalogEntryDto[];
  @ApiProperty({ type: [CatalogEntryDto] }) metrics!: CatalogEntryDto[];
}
