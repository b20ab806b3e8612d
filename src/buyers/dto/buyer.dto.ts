import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length } from 'class-validator';
import { PageQueryDto } from '../../common/pagination';
import { RECORD_STATUSES, type RecordStatus } from '../buyer.entity';
import { OptionalNotNull } from './validators';

export class CreateBuyerDto {
  @ApiProperty({ example: 'Acme Insurance Call Center' }) @IsString() @Length(1, 200) name!: string;

  @ApiPropertyOptional({ enum: RECORD_STATUSES, default: 'active' })
  @OptionalNotNull()
  @IsIn(RECORD_STATUSES)
  status?: RecordStatus;
}

export class UpdateBuyerDto extends PartialType(CreateBuyerDto, { skipNullProperties: false }) {}

export class BuyerListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: RECORD_STATUSES }) @IsOptional() @IsIn(RECORD_STATUSES) status?: RecordStatus;
}

export class BuyerResponseDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: RECORD_STATUSES }) status!: RecordStatus;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}

export class BuyerPageDto {
  @ApiProperty({ type: [BuyerResponseDto] }) items!: BuyerResponseDto[];
  @ApiProperty() page!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() total!: number;
}
