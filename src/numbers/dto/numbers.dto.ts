import { ApiProperty, ApiPropertyOptional, PartialType, OmitType } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Max,
  Min,
} from 'class-validator';
import { IsE164Number } from '../../common/validators';

const KINDS = ['session', 'static'] as const;
const NUMBER_STATUSES = ['active', 'inactive', 'provisioning', 'released'] as const;

export class CreatePoolDto {
  @ApiProperty() @IsUUID() campaignId!: string;
  @ApiPropertyOptional({ description: 'Publisher whose traffic this pool tracks' })
  @IsOptional()
  @IsUUID()
  publisherId?: string;
  @ApiProperty() @IsString() @Length(1, 200) name!: string;
  @ApiProperty({
    enum: KINDS,
    description: 'session: leased to visitors by DNI; static: one number per source',
  })
  @IsIn(KINDS)
  kind!: (typeof KINDS)[number];
  @ApiPropertyOptional({ description: 'Seconds without a heartbeat before a lease frees', default: 300 })
  @IsOptional()
  @IsInt()
  @Min(30)
  @Max(3600)
  leaseIdleS?: number;
  @ApiPropertyOptional({
    description: 'Seconds a released number rests before another visitor gets it',
    default: 300,
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(86400)
  cooldownS?: number;
  @ApiPropertyOptional({ description: 'Shown when every number is leased (calls flagged overflow)' })
  @IsOptional()
  @IsE164Number()
  overflowNumber?: string;
}

export class UpdatePoolDto extends PartialType(OmitType(CreatePoolDto, ['campaignId', 'kind'] as const)) {}

export class AddNumbersDto {
  @ApiProperty({ type: [String], example: ['+18005550100'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(500)
  @IsE164Number({ each: true })
  numbers!: string[];
}

export class UpdateNumberDto {
  @ApiProperty({ enum: ['active', 'inactive'] }) @IsIn(['active', 'inactive']) status!: 'active' | 'inactive';
}

export class PoolResponseDto {
  @ApiProperty() id!: string;
  @ApiProperty() campaignId!: string;
  @ApiPropertyOptional({ nullable: true }) publisherId!: string | null;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: KINDS }) kind!: string;
  @ApiProperty() leaseIdleS!: number;
  @ApiProperty() cooldownS!: number;
  @ApiPropertyOptional({ nullable: true }) overflowNumber!: string | null;
  @ApiProperty() createdAt!: string;
}

export class NumberResponseDto {
  @ApiProperty() id!: string;
  @ApiProperty() poolId!: string;
  @ApiProperty() number!: string;
  @ApiProperty({ enum: NUMBER_STATUSES }) status!: string;
  @ApiProperty() createdAt!: string;
}
