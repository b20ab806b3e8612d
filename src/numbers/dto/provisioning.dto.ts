import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  Matches,
  Max,
  Min,
} from 'class-validator';
import { IsE164Number } from '../../common/validators';
import { NumberResponseDto } from './numbers.dto';

export class ProvisionNumbersDto {
  @ApiPropertyOptional({ example: '512', description: 'NANP area code (national destination code)' })
  @IsOptional()
  @Matches(/^[2-9]\d{2}$/, { message: 'areaCode must be a 3-digit NANP area code' })
  areaCode?: string;

  @ApiProperty({ minimum: 1, maximum: 100 }) @IsInt() @Min(1) @Max(100) count!: number;

  @ApiPropertyOptional({ enum: ['US', 'CA'], default: 'US' })
  @IsOptional()
  @IsIn(['US', 'CA'])
  countryCode?: 'US' | 'CA';
}

export class ProvisionResultDto {
  @ApiProperty() orderId!: string;
  @ApiProperty({ enum: ['pending', 'success', 'failure'] }) status!: string;
  @ApiProperty() requested!: number;
  @ApiProperty({ type: [NumberResponseDto], description: 'Numbers ordered and added to the pool' })
  added!: NumberResponseDto[];
  @ApiProperty({ type: [String], description: 'Ordered, not active yet; added when the order completes' })
  pending!: string[];
  @ApiProperty({ type: [String] }) failed!: string[];
}

export class ReleaseNumbersDto {
  @ApiProperty({ type: [String], example: ['+15125550100'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @IsE164Number({ each: true })
  numbers!: string[];
}

export class ReleaseResultDto {
  @ApiProperty({ type: [String] }) released!: string[];
}
