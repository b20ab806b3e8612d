import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length, ValidateIf } from 'class-validator';
import { IsMoneyString } from '../../common/validators';

const STATUSES = ['active', 'paused', 'archived'] as const;

export class CreatePublisherDto {
  @ApiProperty() @IsString() @Length(1, 200) name!: string;
  @ApiPropertyOptional({ enum: STATUSES }) @IsOptional() @IsIn(STATUSES) status?: (typeof STATUSES)[number];
  @ApiProperty({
    enum: ['fixed', 'percent'],
    description: 'Fixed amount per payable call, or a % of revenue',
  })
  @IsIn(['fixed', 'percent'])
  payoutType!: 'fixed' | 'percent';
  @ApiPropertyOptional({ example: '15.00', description: 'Required for fixed payouts' })
  @ValidateIf((o: CreatePublisherDto) => o.payoutType === 'fixed' || o.payoutAmount !== undefined)
  @IsMoneyString({ min: '0', max: '100000' })
  payoutAmount?: string;
  @ApiPropertyOptional({ example: '60', description: 'Percent of revenue, required for percent payouts' })
  @ValidateIf((o: CreatePublisherDto) => o.payoutType === 'percent' || o.payoutPercent !== undefined)
  @IsMoneyString({ min: '0', max: '100' })
  payoutPercent?: string;
  @ApiPropertyOptional({ example: '5.00' })
  @IsOptional()
  @IsMoneyString({ min: '0', max: '100000' })
  payoutMin?: string;
  @ApiPropertyOptional({ example: '40.00' })
  @IsOptional()
  @IsMoneyString({ min: '0', max: '100000' })
  payoutMax?: string;
}

export class UpdatePublisherDto extends PartialType(CreatePublisherDto) {}

export class PublisherResponseDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: STATUSES }) status!: string;
  @ApiProperty({ enum: ['fixed', 'percent'] }) payoutType!: string;
  @ApiPropertyOptional({ nullable: true }) payoutAmount!: string | null;
  @ApiPropertyOptional({ nullable: true }) payoutPercent!: string | null;
  @ApiPropertyOptional({ nullable: true }) payoutMin!: string | null;
  @ApiPropertyOptional({ nullable: true }) payoutMax!: string | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}
