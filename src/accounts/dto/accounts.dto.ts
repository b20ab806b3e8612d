import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsIn, IsOptional, IsString, IsUUID, Length, MaxLength } from 'class-validator';
import { ROLE_VALUES, type Role } from '../principal';

export class SetupDto {
  @ApiProperty() @IsString() @Length(1, 200) tenantName!: string;
  @ApiProperty() @IsEmail() @MaxLength(254) email!: string;
  @ApiProperty({ minLength: 10 }) @IsString() @Length(10, 200) password!: string;
}

export class LoginDto {
  @ApiProperty() @IsEmail() @MaxLength(254) email!: string;
  @ApiProperty() @IsString() @Length(1, 200) password!: string;
}

export class CreateUserDto {
  @ApiProperty() @IsEmail() @MaxLength(254) email!: string;
  @ApiProperty({ minLength: 10 }) @IsString() @Length(10, 200) password!: string;
  @ApiProperty({ enum: ROLE_VALUES }) @IsIn(ROLE_VALUES) role!: Role;
  @ApiPropertyOptional() @IsOptional() @IsUUID() publisherId?: string;
  @ApiPropertyOptional() @IsOptional() @IsUUID() buyerId?: string;
}

export class CreateApiKeyDto {
  @ApiProperty() @IsString() @Length(1, 200) name!: string;
  @ApiProperty({ enum: ROLE_VALUES }) @IsIn(ROLE_VALUES) role!: Role;
  @ApiPropertyOptional() @IsOptional() @IsUUID() publisherId?: string;
  @ApiPropertyOptional() @IsOptional() @IsUUID() buyerId?: string;
}

export class UserResponseDto {
  @ApiProperty() id!: string;
  @ApiProperty() email!: string;
  @ApiProperty({ enum: ROLE_VALUES }) role!: Role;
  @ApiPropertyOptional({ nullable: true }) publisherId!: string | null;
  @ApiPropertyOptional({ nullable: true }) buyerId!: string | null;
  @ApiProperty() createdAt!: string;
}

export class ApiKeyResponseDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'Public part of the key, to recognise it' }) prefix!: string;
  @ApiProperty({ enum: ROLE_VALUES }) role!: Role;
  @ApiPropertyOptional({ nullable: true }) publisherId!: string | null;
  @ApiPropertyOptional({ nullable: true }) buyerId!: string | null;
  @ApiProperty() createdAt!: string;
  @ApiPropertyOptional({ nullable: true }) lastUsedAt!: string | null;
  @ApiPropertyOptional({ nullable: true }) revokedAt!: string | null;
}

export class CreatedApiKeyResponseDto extends ApiKeyResponseDto {
  @ApiProperty({ description: 'The secret key. Shown only once; store it now.' }) key!: string;
}

export class MeResponseDto {
  @ApiProperty() tenantId!: string;
  @ApiProperty({ enum: ROLE_VALUES }) role!: Role;
  @ApiPropertyOptional() publisherId?: string;
  @ApiPropertyOptional() buyerId?: string;
  @ApiProperty({ enum: ['api_key', 'session'] }) via!: 'api_key' | 'session';
}
